DROP TABLE provisioning_groups;
DROP TABLE provisioning_reconciliations;
