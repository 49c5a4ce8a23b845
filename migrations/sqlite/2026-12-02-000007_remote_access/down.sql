DROP TABLE remote_access_grants;
