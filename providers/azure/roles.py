"""Azure built-in role definitions used by the template (name -> role definition GUID).

The GUIDs are the fixed ids of Azure's built-in roles (the same in every
tenant); docs/providers/azure.md lists which neutral scope maps to which role.
"""

from __future__ import annotations

ROLES: dict[str, str] = {
    "Storage Blob Data Reader": "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1",
    "Storage Blob Data Contributor": "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
    "Storage Blob Data Owner": "b7e6dc6d-f1e8-4753-8033-0f276bb0955b",
    "Storage Queue Data Reader": "19e7f393-937e-4f77-808e-94535e297925",
    "Storage Queue Data Message Sender": "c6a89b2d-59bc-44d0-9896-0f6e12d7b80a",
    "Storage Queue Data Message Processor": "8a0f0c08-91a1-4084-bc3d-661d67233fed",
    "Storage Queue Data Contributor": "974c5e8b-45b9-4653-ba55-5f855dd0fb88",
    "Storage Table Data Contributor": "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3",
    "Azure Service Bus Data Sender": "69a216fc-b8fb-44d8-bc22-1f3c2cd27a39",
    "Azure Service Bus Data Receiver": "4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0",
    "Key Vault Secrets User": "4633458b-17de-408a-b874-0445c86b69e6",
    "Monitoring Metrics Publisher": "3913510d-42f4-4e42-8a64-420c390055eb",
}

# neutral scope -> roles (for the docs table and its test)
SCOPE_ROLES: dict[str, tuple[str, ...]] = {
    "bucket:NAME:read": ("Storage Blob Data Reader",),
    "bucket:NAME:list": ("Storage Blob Data Reader",),
    "bucket:NAME:write": ("Storage Blob Data Contributor",),
    "bucket:NAME:delete": ("Storage Blob Data Contributor",),
    "queue:NAME:send": ("Storage Queue Data Message Sender",),
    "queue:NAME:consume": ("Storage Queue Data Reader", "Storage Queue Data Message Processor"),
    "queue:NAME:send (Service Bus queue)": ("Azure Service Bus Data Sender",),
    "queue:NAME:consume (Service Bus queue)": ("Azure Service Bus Data Receiver",),
    "topic:NAME:publish": ("Azure Service Bus Data Sender",),
    "topic trigger": ("Azure Service Bus Data Receiver",),
    "secret:NAME:read": ("Key Vault Secrets User",),
    "workflow:NAME:start": ("Storage Queue Data Message Sender",),
    "bucket trigger (created)": ("Storage Blob Data Reader",),
}
