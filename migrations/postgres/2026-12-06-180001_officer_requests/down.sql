DROP TABLE officer_requests;
