-- The doctor's private calendar feed: a secret token in the URL, stored only as its
-- SHA-256; regenerating replaces it (the old URL stops working).
alter table doctors add column feed_token_hash bytea unique check (length(feed_token_hash) = 32);
