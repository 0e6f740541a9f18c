"""Background work on Dramatiq: a Redis broker for many worker processes, or an in-process one
(the embedded default); the job actor; Redis-backed store locks and sync slots."""
