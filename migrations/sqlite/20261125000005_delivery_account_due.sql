-- The claim walks each account's due deliveries in order; this index serves it directly.
create index delivery_account_due on delivery (account_id, state, due_at);
