-- Debt ids come from the hubs' id blocks too (hub/store/batch_rows.h, IdSource), so a
-- batch writes its debts as one multi-row upsert with no id returned per row.
INSERT INTO id_blocks (name, next_id) SELECT 'debts', COALESCE(MAX(id), 0) + 1 FROM debts;
