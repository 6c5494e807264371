-- The value of a line's metal content: Section 232 derivatives pay on the value of their steel, aluminum
-- or copper content (Proclamation 10947, 2025-06-04), so the duty of such a line needs it.
ALTER TABLE lines ADD COLUMN IF NOT EXISTS metal_value DOUBLE;
