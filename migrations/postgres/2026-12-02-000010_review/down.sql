DROP TABLE findings;
DROP TABLE exceptions;
DROP TABLE review_items;
DROP TABLE review_campaigns;
DROP TABLE dormant_notices;
