"""What the AWS provider supports, feature by feature (the matrix rows), with honest notes."""

from __future__ import annotations

from sls_neutral.core.provider import Support

CAPABILITIES: dict[str, Support] = {
    "http": Support("full", "API Gateway HTTP API (payload format 2.0); {name+} stays a greedy path variable"),
    "http.cors": Support("approx", "CORS is configured on the HTTP API (all origins), not per route"),
    "queue": Support("full", "SQS with a Lambda event source mapping and partial batch failure reporting"),
    "queue.fifo": Support("full", "SQS FIFO queue (the physical name ends in .fifo); content-based deduplication"),
    "queue.dead_letter": Support("full", "SQS redrive policy to '<queue>-dlq' after maxReceiveCount receives"),
    "queue.delay": Support("full", "SQS DelaySeconds (queue default) and per-message DelaySeconds up to 15 min"),
    "topic": Support("full", "SNS topic with a Lambda subscription per subscribed function"),
    "topic.queue": Support("full", "SNS -> SQS subscription (raw delivery) with a queue policy scoped to the topic"),
    "schedule.cron": Support("full", "EventBridge Scheduler; the 5-field cron becomes cron(min hour dom month dow "
                                     "year) with '?' in the unused day field and dow shifted to 1-7"),
    "schedule.rate": Support("full", "EventBridge Scheduler rate(N minutes|hours|days)"),
    "schedule.timezone": Support("full", "EventBridge Scheduler ScheduleExpressionTimezone (DST aware)"),
    "bucket": Support("full", "S3 bucket, versioning as declared, public access blocked, SSE-S3"),
    "bucket.created": Support("full", "S3 notification s3:ObjectCreated:*"),
    "bucket.deleted": Support("full", "S3 notification s3:ObjectRemoved:*"),
    "bucket.filter": Support("full", "S3 notification filter rules (prefix, suffix)"),
    "secret": Support("full", "Secrets Manager secret named <service>/<stage>/<name>, read at cold start; the "
                              "value is never in a template"),
    "workflow": Support("full", "Step Functions standard state machine compiled to ASL"),
    "workflow.parallel": Support("full", "ASL Parallel state"),
    "workflow.map": Support("full", "ASL Map state (inline)"),
    "workflow.wait": Support("full", "ASL Wait state"),
    "workflow.retry.jitter": Support("full", "ASL Retry JitterStrategy FULL"),
    "workflow.http": Support("full", "an HTTP API route to a small starter Lambda that calls StartExecution and "
                                     "answers 202 {\"execution_id\"}"),
    "warm": Support("full", "provisioned concurrency on the 'live' alias"),
    "max_instances": Support("full", "reserved concurrent executions"),
}
