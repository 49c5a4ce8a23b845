DROP TABLE shared_id_users;
