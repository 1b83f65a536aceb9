"""The email outbox: a row in the cause's transaction, sent by a job after commit."""
