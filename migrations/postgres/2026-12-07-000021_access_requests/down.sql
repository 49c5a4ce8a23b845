DROP TABLE access_request_decisions;
DROP TABLE access_requests;
