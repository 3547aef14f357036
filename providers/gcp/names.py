"""Physical names and resource paths on GCP, derived only from the IR and the settings.

Every name is built with core/naming.py rules (63 characters, lowercase for functions and
buckets, a stable hash suffix when too long), so the same manifest always gives the same ids.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Mapping

from sls_neutral.core import naming

DEFAULT_PROJECT = "my-project"
LABEL_KEY_RE = re.compile(r"[^a-z0-9_-]")
SERVICE_LABEL = "slsn-service"
STAGE_LABEL = "slsn-stage"
PUBSUB_NAME = naming.NameRules(255, r"a-zA-Z0-9-_", lowercase=True, must_start_with_letter=True)
SECRET_NAME = naming.NameRules(255, r"a-zA-Z0-9-_")
WORKFLOW_NAME = naming.NameRules(64, r"a-z0-9-_", lowercase=True, must_start_with_letter=True)
JOB_NAME = naming.NameRules(500, r"a-zA-Z0-9-_")
LOGGING_NAME = naming.NameRules(100, r"a-zA-Z0-9-_", lowercase=True)  # log bucket ids and sink names
LOG_BUCKET_LOCATION = "global"


def label_value(text: str) -> str:
    """GCP label values: lowercase letters, digits, '_' and '-', at most 63 characters."""
    return LABEL_KEY_RE.sub("_", str(text).lower())[:63]


def label_key(text: str) -> str:
    key = LABEL_KEY_RE.sub("_", str(text).lower())[:63]
    return key if key[:1].isalpha() else f"k{key}"[:63]


@dataclass(frozen=True)
class Names:
    service: str
    stage: str
    project: str
    region: str
    sa_prefix: str = ""
    bucket_prefix: str = ""

    @classmethod
    def from_settings(cls, service: str, stage: str, settings: Mapping[str, Any]) -> "Names":
        project = settings.get("project") or DEFAULT_PROJECT
        return cls(service, stage, project, settings.get("region") or "us-central1",
                   settings.get("service_account_prefix") or "",
                   settings.get("bucket_prefix") if settings.get("bucket_prefix") is not None else project)

    # ------------------------------------------------------------ short names
    def function(self, name: str) -> str:
        return naming.resource_name(self.service, self.stage, name, rules=naming.GCP_FUNCTION)

    def bucket(self, name: str) -> str:
        return naming.resource_name(self.bucket_prefix, self.service, self.stage, name, rules=naming.GCP_BUCKET)

    def topic(self, name: str) -> str:
        return naming.resource_name(self.service, self.stage, "topic", name, rules=PUBSUB_NAME)

    def queue_topic(self, name: str) -> str:
        return naming.resource_name(self.service, self.stage, "queue", name, rules=PUBSUB_NAME)

    def schedule_topic(self, owner: str, index: int) -> str:
        return naming.resource_name(self.service, self.stage, "schedule", owner, str(index), rules=PUBSUB_NAME)

    def subscription(self, queue: str, topic: str | None = None) -> str:
        parts = ("queue", queue) + (("from", topic) if topic else ())
        return naming.resource_name(self.service, self.stage, *parts, rules=PUBSUB_NAME)

    def job(self, owner: str, index: int) -> str:
        return naming.resource_name(self.service, self.stage, owner, str(index), rules=JOB_NAME)

    def workflow(self, name: str) -> str:
        return naming.resource_name(self.service, self.stage, name, rules=WORKFLOW_NAME)

    def secret(self, name: str) -> str:
        return naming.resource_name(self.service, self.stage, name, rules=SECRET_NAME)

    def log_bucket(self) -> str:
        """The stage's Cloud Logging bucket (observability plugin's log retention)."""
        return naming.resource_name(self.service, self.stage, "logs", rules=LOGGING_NAME)

    def log_sink(self) -> str:
        return naming.resource_name(self.service, self.stage, "logs", rules=LOGGING_NAME)

    def alert_policy(self, function: str, alarm: str) -> str:
        """An alert policy's display name (policy ids are assigned by Cloud Monitoring): ``<function unit>-<alarm>``."""
        return f"{self.function(function)}-{alarm}"

    def account_id(self, *parts: str) -> str:
        return naming.resource_name(self.sa_prefix, self.service, self.stage, *parts,
                                    rules=naming.GCP_SERVICE_ACCOUNT)

    def account_email(self, account_id: str) -> str:
        return f"{account_id}@{self.project}.iam.gserviceaccount.com"

    # ------------------------------------------------------------ full paths
    @property
    def location(self) -> str:
        return f"projects/{self.project}/locations/{self.region}"

    def function_path(self, name: str) -> str:
        return f"{self.location}/functions/{name}"

    def function_url(self, name: str) -> str:
        """The stable cloudfunctions.net URL every 2nd gen function also answers on."""
        return f"https://{self.region}-{self.project}.cloudfunctions.net/{name}"

    def topic_path(self, name: str) -> str:
        return f"projects/{self.project}/topics/{name}"

    def subscription_path(self, name: str) -> str:
        return f"projects/{self.project}/subscriptions/{name}"

    def job_path(self, name: str) -> str:
        return f"{self.location}/jobs/{name}"

    def workflow_path(self, name: str) -> str:
        return f"{self.location}/workflows/{name}"

    def secret_path(self, name: str) -> str:
        return f"projects/{self.project}/secrets/{name}"

    def log_bucket_path(self, name: str) -> str:
        return f"projects/{self.project}/locations/{LOG_BUCKET_LOCATION}/buckets/{name}"

    def log_sink_path(self, name: str) -> str:
        return f"projects/{self.project}/sinks/{name}"
