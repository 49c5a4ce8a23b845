DROP TABLE audit_anchors;
DROP INDEX audit_holds_active;
DROP TABLE audit_holds;
