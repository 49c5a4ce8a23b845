DROP TRIGGER audit_events_no_delete ON audit_events;
DROP FUNCTION audit_events_prune_only();
DROP TRIGGER audit_events_no_update ON audit_events;
CREATE TRIGGER audit_events_no_update BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
DROP TABLE audit_anchors;
DROP INDEX audit_holds_active;
DROP TABLE audit_holds;
