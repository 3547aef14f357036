"""The google-cloud clients a deploy uses, created lazily and shared by the planner and the executor.

Against GCP they use Application Default Credentials and each library's default transport. With
``--endpoint-url`` every client talks REST (``transport="rest"``) to that endpoint with anonymous
credentials: a local emulator or the test suite's fake control plane. IAM policies and service
accounts have no client in the installed libraries: they go through google-auth's AuthorizedSession
(the same credentials) to the resources' ``:getIamPolicy``/``:setIamPolicy`` REST methods.
"""

from __future__ import annotations

from typing import Any

from sls_neutral.core.errors import DeployError

API_HOSTS = {
    "functions": "https://cloudfunctions.googleapis.com",
    "run": "https://run.googleapis.com",
    "pubsub": "https://pubsub.googleapis.com",
    "workflows": "https://workflows.googleapis.com",
    "secretmanager": "https://secretmanager.googleapis.com",
    "iam": "https://iam.googleapis.com",
    "resourcemanager": "https://cloudresourcemanager.googleapis.com",
    "monitoring": "https://monitoring.googleapis.com",
    "logging": "https://logging.googleapis.com",
}
IAM_VERSIONS = {"function": ("run", "v2"), "topic": ("pubsub", "v1"), "subscription": ("pubsub", "v1"),
                "secret": ("secretmanager", "v1"), "workflow": ("workflows", "v1"), "project": ("resourcemanager", "v1")}


class Clients:
    def __init__(self, project: str, region: str, endpoint_url: str | None = None):
        self.project = project
        self.region = region
        self.endpoint_url = endpoint_url.rstrip("/") if endpoint_url else None
        self._made: dict[str, Any] = {}

    # ------------------------------------------------------------ plumbing
    def _credentials(self) -> Any:
        if "credentials" not in self._made:
            if self.endpoint_url:
                from google.auth.credentials import AnonymousCredentials

                self._made["credentials"] = AnonymousCredentials()
            else:
                import google.auth
                from google.auth.exceptions import DefaultCredentialsError

                try:
                    self._made["credentials"], _ = google.auth.default(
                        scopes=["https://www.googleapis.com/auth/cloud-platform"])
                except DefaultCredentialsError as exc:
                    raise DeployError(f"no Google credentials: {exc}",
                                      hint="run 'gcloud auth application-default login' or set "
                                           "GOOGLE_APPLICATION_CREDENTIALS") from None
        return self._made["credentials"]

    def _gapic(self, key: str, factory: Any) -> Any:
        if key not in self._made:
            kwargs: dict[str, Any] = {"credentials": self._credentials()}
            if self.endpoint_url:
                kwargs.update(transport="rest", client_options={"api_endpoint": self.endpoint_url})
            self._made[key] = factory(**kwargs)
        return self._made[key]

    # ------------------------------------------------------------ the clients
    @property
    def functions(self) -> Any:
        from google.cloud import functions_v2

        return self._gapic("functions", functions_v2.FunctionServiceClient)

    @property
    def publisher(self) -> Any:
        from google.pubsub_v1.services.publisher import PublisherClient

        return self._gapic("publisher", PublisherClient)

    @property
    def subscriber(self) -> Any:
        from google.pubsub_v1.services.subscriber import SubscriberClient

        return self._gapic("subscriber", SubscriberClient)

    @property
    def scheduler(self) -> Any:
        from google.cloud import scheduler_v1

        return self._gapic("scheduler", scheduler_v1.CloudSchedulerClient)

    @property
    def workflows(self) -> Any:
        from google.cloud import workflows_v1

        return self._gapic("workflows", workflows_v1.WorkflowsClient)

    @property
    def storage(self) -> Any:
        if "storage" not in self._made:
            from google.cloud import storage

            options = {"api_endpoint": self.endpoint_url} if self.endpoint_url else None
            self._made["storage"] = storage.Client(project=self.project, credentials=self._credentials(),
                                                   client_options=options)
        return self._made["storage"]

    @property
    def session(self) -> Any:
        if "session" not in self._made:
            from google.auth.transport.requests import AuthorizedSession

            self._made["session"] = AuthorizedSession(self._credentials())
        return self._made["session"]

    # ------------------------------------------------------------ REST-only APIs
    def _url(self, api: str, path: str) -> str:
        return f"{self.endpoint_url or API_HOSTS[api]}/{path}"

    def _call(self, method: str, url: str, body: Any = None, *,
              tolerate: tuple[int, ...] = ()) -> dict[str, Any] | None:
        response = self.session.request(method, url, json=body, timeout=60)
        if response.status_code == 404 or response.status_code in tolerate:
            return None
        if response.status_code >= 400:
            raise DeployError(f"{method} {url} failed: {response.status_code} {response.text[:300]}",
                              hint="check the project id, the APIs enabled and your permissions")
        return response.json() if response.content else {}

    def get_service_account(self, email: str) -> dict[str, Any] | None:
        return self._call("GET", self._url("iam", f"v1/projects/{self.project}/serviceAccounts/{email}"))

    def create_service_account(self, account_id: str, display_name: str) -> dict[str, Any]:
        return self._call("POST", self._url("iam", f"v1/projects/{self.project}/serviceAccounts"),
                          {"accountId": account_id, "serviceAccount": {"displayName": display_name}}) or {}

    def iam_resource(self, resource_type: str, resource: str) -> str:
        if resource_type == "function":  # a 2nd gen function is served by the Cloud Run service of its name
            return resource.replace("/functions/", "/services/")
        return resource

    def get_policy(self, resource_type: str, resource: str) -> dict[str, Any]:
        if resource_type == "bucket":
            policy = self.storage.bucket(resource).get_iam_policy(requested_policy_version=3)
            return {"bindings": [{"role": b["role"], "members": sorted(b["members"])} for b in policy.bindings],
                    "etag": policy.etag}
        api, version = IAM_VERSIONS[resource_type]
        path = f"{version}/{self.iam_resource(resource_type, resource)}:getIamPolicy"
        return self._call("POST", self._url(api, path), {}) or {}

    def set_policy(self, resource_type: str, resource: str, policy: dict[str, Any]) -> None:
        if resource_type == "bucket":
            bucket = self.storage.bucket(resource)
            current = bucket.get_iam_policy(requested_policy_version=3)
            current.bindings = [{"role": b["role"], "members": set(b["members"])} for b in policy["bindings"]]
            bucket.set_iam_policy(current)
            return
        api, version = IAM_VERSIONS[resource_type]
        path = f"{version}/{self.iam_resource(resource_type, resource)}:setIamPolicy"
        self._call("POST", self._url(api, path), {"policy": policy})

    # ------------------------------------------------------------ observability (REST: no client installed)
    def list_alert_policies(self, *, tolerate_forbidden: bool = False) -> list[dict[str, Any]] | None:
        """Every alert policy of the project (Cloud Monitoring v3, all pages); None when unreadable and tolerated
        (the Monitoring API not enabled, or no permission, for a service that declares no alarm)."""
        from urllib.parse import quote

        policies: list[dict[str, Any]] = []
        token = ""
        while True:
            query = f"?pageToken={quote(token)}" if token else ""
            url = self._url("monitoring", f"v3/projects/{self.project}/alertPolicies{query}")
            response = self.session.request("GET", url, timeout=60)
            if response.status_code == 403 and tolerate_forbidden:
                return None
            if response.status_code == 404:
                return policies
            if response.status_code >= 400:
                raise DeployError(f"GET {url} failed: {response.status_code} {response.text[:300]}",
                                  hint="enable the Cloud Monitoring API; the deployer needs "
                                       "roles/monitoring.alertPolicyEditor")
            page = response.json() if response.content else {}
            policies.extend(page.get("alertPolicies") or [])
            token = page.get("nextPageToken") or ""
            if not token:
                return policies

    def create_alert_policy(self, body: dict[str, Any]) -> dict[str, Any]:
        return self._call("POST", self._url("monitoring", f"v3/projects/{self.project}/alertPolicies"), body) or {}

    def update_alert_policy(self, name: str, body: dict[str, Any], paths: list[str]) -> dict[str, Any]:
        mask = ",".join(paths)
        return self._call("PATCH", self._url("monitoring", f"v3/{name}?updateMask={mask}"), body) or {}

    def delete_alert_policy(self, name: str) -> None:
        self._call("DELETE", self._url("monitoring", f"v3/{name}"))

    def get_log_bucket(self, path: str) -> dict[str, Any] | None:
        return self._call("GET", self._url("logging", f"v2/{path}"))

    def create_log_bucket(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        parent, _, bucket_id = path.rpartition("/buckets/")
        return self._call("POST", self._url("logging", f"v2/{parent}/buckets?bucketId={bucket_id}"), body) or {}

    def update_log_bucket(self, path: str, body: dict[str, Any], paths: list[str]) -> dict[str, Any]:
        return self._call("PATCH", self._url("logging", f"v2/{path}?updateMask={','.join(paths)}"), body) or {}

    def undelete_log_bucket(self, path: str) -> None:
        self._call("POST", self._url("logging", f"v2/{path}:undelete"), {})

    def get_sink(self, path: str, *, tolerate_forbidden: bool = False) -> dict[str, Any] | None:
        return self._call("GET", self._url("logging", f"v2/{path}"), tolerate=(403,) if tolerate_forbidden else ())

    def create_sink(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        parent = path.rsplit("/sinks/", 1)[0]
        return self._call("POST", self._url("logging", f"v2/{parent}/sinks"), body) or {}

    def update_sink(self, path: str, body: dict[str, Any], paths: list[str]) -> dict[str, Any]:
        return self._call("PATCH", self._url("logging", f"v2/{path}?updateMask={','.join(paths)}"), body) or {}

    def delete_sink(self, path: str) -> None:
        self._call("DELETE", self._url("logging", f"v2/{path}"))
