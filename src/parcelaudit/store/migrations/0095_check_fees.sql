-- Fees in a check's results (issue 12): each parcel's entry fees (merchandise processing fee, dutiable mail
-- fee, harbor maintenance fee; parcelaudit.duty.fees) stored beside its duty. Runs stored before 0095 read 0.
-- current_decisions selects d.*: PostgreSQL fixed its columns when 0090 created it, so it is made again.
DROP VIEW current_decisions;
ALTER TABLE check_decisions ADD COLUMN fees DOUBLE DEFAULT 0;   -- USD, once per entry
CREATE VIEW current_decisions AS
SELECT d.* FROM check_decisions d
JOIN (SELECT shipment_id, max(run_id) AS run_id FROM check_decisions GROUP BY shipment_id) m
  ON m.shipment_id = d.shipment_id AND m.run_id = d.run_id;
