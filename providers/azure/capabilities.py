"""What the Azure provider supports, feature by feature (the matrix rows), with honest notes."""

from __future__ import annotations

from sls_neutral.core.provider import Support

FULL = Support()

CAPABILITIES: dict[str, Support] = {
    "http": Support("full", "HTTP triggers in the v2 model; host.json routePrefix is empty so paths are kept as "
                            "written; {name+} becomes {*name}"),
    "http.cors": Support("approx", "CORS is configured per app (siteConfig.cors), not per route"),
    "queue": Support("full", "Storage Queue triggers; a queue that is FIFO or subscribed to a topic becomes a "
                             "Service Bus queue"),
    "queue.fifo": Support("approx", "Service Bus queue with sessions; messages are ordered per session "
                                    "(the adapter sends with one session per queue unless a group is given)"),
    "queue.dead_letter": Support("approx", "Storage Queues: the host moves a message to '<queue>-poison' after "
                                           "host.json queues.maxDequeueCount, one value per app; Service Bus: "
                                           "maxDeliveryCount per queue and the $DeadLetterQueue sub-queue"),
    "queue.delay": Support("full", "initial visibility timeout (Storage) or scheduled enqueue time (Service Bus)"),
    "topic": Support("full", "Service Bus topics, one subscription per subscribed function"),
    "topic.queue": Support("full", "a Service Bus subscription that forwards to the (Service Bus) queue"),
    "schedule.cron": Support("full", "timer triggers; the 5-field cron gets a seconds field (6-field NCRONTAB)"),
    "schedule.rate": Support("approx", "rates that divide an hour or a day map exactly to NCRONTAB; others "
                                       "restart at each hour/day boundary"),
    "schedule.timezone": Support("full", "Linux plans have no timer time zone: the timer fires hourly (or every "
                                         "minute) in UTC and the adapter runs the handler only when the cron matches "
                                         "the zone's local time, DST included"),
    "bucket": Support("full", "blob containers in the data storage account"),
    "bucket.created": Support("full", "blob triggers with the Event Grid source"),
    "bucket.deleted": Support("full", "Event Grid triggers on Microsoft.Storage.BlobDeleted"),
    "bucket.filter": Support("approx", "prefix and suffix are exact in the Event Grid subscription filter; the "
                                       "blob trigger path also matches them as a pattern"),
    "secret": Support("full", "Key Vault secrets (RBAC), read at cold start with the function's identity"),
    "workflow": Support("full", "Durable Functions orchestrators (v2 programming model)"),
    "workflow.parallel": Support("full", "task_all over sub-orchestration-free branches"),
    "workflow.map": Support("full", "task_all with a bounded sliding window"),
    "workflow.wait": Support("full", "durable timers"),
    "workflow.retry.jitter": Support("approx", "full jitter is drawn deterministically from the instance id "
                                               "(orchestrators must replay identically)"),
    "workflow.http": Support("full", "an HTTP starter function with a durable client binding"),
    "warm": Support("approx", "Flex Consumption always-ready instances for the whole app (the maximum warm: of "
                              "any function); not available on Consumption"),
    "max_instances": Support("approx", "Flex Consumption maximumInstanceCount is per app (the smallest cap)"),
}
