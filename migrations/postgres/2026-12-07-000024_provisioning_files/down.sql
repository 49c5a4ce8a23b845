DROP TABLE provisioning_file_batches;
