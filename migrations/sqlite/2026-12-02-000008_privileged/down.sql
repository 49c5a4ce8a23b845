DROP TABLE development_ids;
DROP TABLE notifications;
DROP TABLE delegations;
DROP TABLE elevations;
DROP TABLE privileged_eligibility;
