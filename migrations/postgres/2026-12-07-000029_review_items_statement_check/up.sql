-- A city-wide campaign inserts every grant in force as an item in one INSERT … SELECT (200,000 rows at
-- 20,000 people × 10 grants). The foreign key on review_items.campaign_id checked each of them on its
-- own, a lookup and a row lock per item. The same rule is now checked once per statement over all the
-- rows the statement wrote: no item without its campaign, and no campaign deleted (or renamed) while it
-- has items. The campaigns an insert refers to are locked as the key locked them (FOR KEY SHARE), so a
-- concurrent delete waits for the insert and then sees its items.
ALTER TABLE review_items DROP CONSTRAINT review_items_campaign_id_fkey;

CREATE FUNCTION review_items_have_campaigns() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  ids TEXT[] := ARRAY(SELECT DISTINCT campaign_id FROM new_items);
  found INT;
BEGIN
  -- One pass over the rows written (a statement names one campaign, or a few), then the campaigns.
  PERFORM 1 FROM review_campaigns c WHERE c.id = ANY (ids) FOR KEY SHARE;
  SELECT count(*) INTO found FROM review_campaigns c WHERE c.id = ANY (ids);
  IF found <> cardinality(ids) THEN
    RAISE EXCEPTION 'a review item refers to no campaign' USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER review_items_campaign_on_insert AFTER INSERT ON review_items
  REFERENCING NEW TABLE AS new_items FOR EACH STATEMENT EXECUTE FUNCTION review_items_have_campaigns();
CREATE TRIGGER review_items_campaign_on_update AFTER UPDATE ON review_items
  REFERENCING NEW TABLE AS new_items FOR EACH STATEMENT EXECUTE FUNCTION review_items_have_campaigns();

CREATE FUNCTION review_campaigns_keep_their_items() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM review_items i WHERE i.campaign_id IN (SELECT id FROM gone) AND NOT EXISTS (SELECT 1 FROM review_campaigns c WHERE c.id = i.campaign_id)) THEN
    RAISE EXCEPTION 'a review campaign with items is not deleted' USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER review_campaigns_items_on_delete AFTER DELETE ON review_campaigns
  REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION review_campaigns_keep_their_items();
CREATE TRIGGER review_campaigns_items_on_update AFTER UPDATE ON review_campaigns
  REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION review_campaigns_keep_their_items();
