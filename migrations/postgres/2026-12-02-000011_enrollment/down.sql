DROP TABLE enrollment_links;
