"""What the GCP provider supports, feature by feature (the matrix rows), with honest notes."""

from __future__ import annotations

from sls_neutral.core.provider import Support

CAPABILITIES: dict[str, Support] = {
    "http": Support("approx", "each function has its own HTTPS URL; routes and path parameters are matched by "
                              "the adapter inside the function (no shared API front is generated)"),
    "http.cors": Support("approx", "CORS headers and OPTIONS preflight answered by the adapter"),
    "queue": Support("approx", "a Pub/Sub topic plus a push subscription to the consumer; one message per request "
                               "(batch_size is not honoured), ack by returning, nack by raising"),
    "queue.fifo": Support("approx", "Pub/Sub ordering keys with message ordering on the subscription; ordered "
                                    "per key, exactly-once is not guaranteed"),
    "queue.dead_letter": Support("approx", "Pub/Sub dead-letter topic; max delivery attempts clamped to 5..100"),
    "queue.delay": Support("approx", "Pub/Sub has no delayed delivery: the adapter nacks a message until its "
                                     "slsn-not-before time, redelivery follows the retry backoff (10-600 s)"),
    "topic": Support("full", "Pub/Sub topics; Eventarc triggers deliver to each subscribed function"),
    "topic.queue": Support("full", "a push subscription on the topic delivering to the queue's consumer"),
    "schedule.cron": Support("full", "Cloud Scheduler jobs publishing to a per-schedule topic"),
    "schedule.rate": Support("approx", "rates become cron; rates that do not divide an hour or a day restart at "
                                       "each boundary"),
    "schedule.timezone": Support("full", "Cloud Scheduler time zones"),
    "bucket": Support("full", "Cloud Storage buckets (uniform bucket-level access)"),
    "bucket.created": Support("full", "Eventarc google.cloud.storage.object.v1.finalized"),
    "bucket.deleted": Support("full", "Eventarc google.cloud.storage.object.v1.deleted"),
    "bucket.filter": Support("approx", "Eventarc cannot filter by prefix/suffix: every object event invokes the "
                                       "function and the adapter drops the ones that do not match"),
    "secret": Support("full", "Secret Manager, read at cold start through the adapter"),
    "workflow": Support("full", "Cloud Workflows (YAML), step functions called over authenticated HTTP"),
    "workflow.parallel": Support("full", "parallel branches"),
    "workflow.map": Support("full", "parallel for"),
    "workflow.wait": Support("full", "sys.sleep / sys.sleep_until"),
    "workflow.retry.jitter": Support("approx", "Workflows retries use exponential backoff without jitter"),
    "workflow.http": Support("full", "a generated starter function (HTTPS) creates an execution and answers 202"),
    "warm": Support("full", "min instances"),
    "max_instances": Support("full", "max instances"),
}
