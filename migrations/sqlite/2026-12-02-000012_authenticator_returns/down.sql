DROP TABLE authenticator_returns;
