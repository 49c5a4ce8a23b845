DROP TABLE provisioning_outbox;
DROP TABLE provisioning_links;
