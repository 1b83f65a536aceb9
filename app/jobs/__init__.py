"""Background jobs (RQ), enqueued after commit by dotted path (see ``app.queue``).

A job is an edge, like a view: it opens an app context, calls services and
commits once. Jobs import services; services never import jobs.
"""


