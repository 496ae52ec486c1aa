-- The timeline's history (operation_transitions, 0018) records changes only. A creation is no
-- change: the first entry of an object's timeline is derived from its own row when it is read
-- (created_at, and the status it was created in: the first recorded change's from_status, or its
-- status now; src/domain/sessions/session-search.ts, listTransitions). The INSERT half of 0018's
-- triggers wrote one more row, two index entries and a PL/pgSQL call into every session/create and
-- every operation's creation, on the request path. Rows it wrote stay, and are read as they were.
DROP TRIGGER sessions_transitions ON sessions;
DROP TRIGGER payments_transitions ON payments;
DROP TRIGGER payouts_transitions ON payouts;
DROP TRIGGER refunds_transitions ON refunds;
CREATE TRIGGER sessions_transitions AFTER UPDATE OF status ON sessions
  FOR EACH ROW EXECUTE FUNCTION record_operation_transition();
CREATE TRIGGER payments_transitions AFTER UPDATE OF stage ON payments
  FOR EACH ROW EXECUTE FUNCTION record_operation_transition();
CREATE TRIGGER payouts_transitions AFTER UPDATE OF stage ON payouts
  FOR EACH ROW EXECUTE FUNCTION record_operation_transition();
CREATE TRIGGER refunds_transitions AFTER UPDATE OF status ON refunds
  FOR EACH ROW EXECUTE FUNCTION record_operation_transition();
