DROP TRIGGER review_campaigns_items_on_update ON review_campaigns;
DROP TRIGGER review_campaigns_items_on_delete ON review_campaigns;
DROP FUNCTION review_campaigns_keep_their_items();
DROP TRIGGER review_items_campaign_on_update ON review_items;
DROP TRIGGER review_items_campaign_on_insert ON review_items;
DROP FUNCTION review_items_have_campaigns();
ALTER TABLE review_items ADD CONSTRAINT review_items_campaign_id_fkey FOREIGN KEY (campaign_id) REFERENCES review_campaigns (id);
