"""Every route `serve` answers, in one table: the server, the OpenAPI document and the
coverage test all read it, so a route cannot be served without being documented.

Read routes answer from platform/mock_*endpoints.py (our database in the platform's shapes);
write routes call the services, as the GUI and the CLI do.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from webhook_desk.api import activity_routes as act
from webhook_desk.api import catalog_routes as cat
from webhook_desk.api import openapi, probes
from webhook_desk.api import subscription_routes as sub
from webhook_desk.platform import mock_ecg_endpoints as ecg
from webhook_desk.platform import mock_endpoints as cp

ORG = "/api/organizations/{organizationId}"
SUB = ORG + "/webhook-subscriptions/{subscriptionId}"
HASH = ORG + "/subscriptions/{subscriptionId}"
CAT = "/api/webhook-categories/{webhookCategoryId}"
EVT = CAT + "/webhook-events/{webhookEventId}"
STUDY = "/centrepoint/v3/Studies/{studyId}/Webhooks"


@dataclass(frozen=True)
class Route:
    method: str  # GET, POST, PUT, PATCH, DELETE
    path: str
    handler: Callable
    summary: str
    tag: str
    status: int = 200  # of success; 201 for what the seed creates
    public: bool = False  # answered without a token
    kept: bool = False  # a read kept until a write changes it (api/page_cache.py)

    @property
    def key(self) -> str:
        """'post/api/webhook-categories': how seed 004 writes a route."""
        return f"{self.method.lower()}{self.path}"


def _routes() -> list[Route]:
    r = Route
    return [
        r(
            "GET",
            "/healthcheck",
            probes.healthcheck,
            "Check the server's health",
            "Health",
            public=True,
        ),
        # ---- categories
        r(
            "POST",
            "/api/webhook-categories",
            cat.create_category,
            "Add a webhook category",
            "WebhookCategories",
            201,
        ),
        r(
            "GET",
            "/api/webhook-categories",
            ecg.categories,
            "List webhook categories",
            "WebhookCategories",
        ),
        r("GET", CAT, ecg.category, "Get a webhook category", "WebhookCategories"),
        r(
            "PATCH",
            CAT,
            cat.patch_category,
            "Patch a webhook category (JSON Patch)",
            "WebhookCategories",
        ),
        r("DELETE", CAT, cat.delete_category, "Delete a webhook category", "WebhookCategories"),
        *(
            r(
                "POST",
                f"{CAT}/{action}",
                cat.category_status(action),
                f"{action.capitalize()} a webhook category",
                "WebhookCategories",
            )
            for action in ("archive", "restore", "activate", "deactivate")
        ),
        r(
            "GET",
            "/api/seed-data/versions",
            ecg.seed_versions,
            "List the event versions",
            "SeedData",
        ),
        # ---- events
        r(
            "POST",
            CAT + "/webhook-events",
            cat.create_event,
            "Add a webhook event",
            "WebhookEvents",
            201,
        ),
        r(
            "GET",
            CAT + "/webhook-events",
            ecg.events,
            "List a category's webhook events",
            "WebhookEvents",
        ),
        r("GET", EVT, ecg.event, "Get a webhook event", "WebhookEvents"),
        r("PATCH", EVT, cat.patch_event, "Patch a webhook event (JSON Patch)", "WebhookEvents"),
        r("DELETE", EVT, cat.delete_event, "Delete a webhook event", "WebhookEvents"),
        *(
            r(
                "POST",
                f"{EVT}/{action}",
                cat.event_status(action),
                f"{action.capitalize()} a webhook event",
                "WebhookEvents",
            )
            for action in ("archive", "restore", "activate", "deactivate")
        ),
        r(
            "GET",
            "/api/webhook-events/{eventCode}/subscriptions",
            ecg.event_subscriptions,
            "List the subscriptions to an event",
            "WebhookEvents",
        ),
        # ---- sample payloads
        r(
            "POST",
            EVT + "/sample-payloads",
            cat.add_sample,
            "Add a sample payload",
            "SampleWebhookPayloads",
            201,
        ),
        r(
            "GET",
            EVT + "/sample-payloads",
            ecg.sample_payload,
            "Get a sample payload",
            "SampleWebhookPayloads",
        ),
        r(
            "PATCH",
            EVT + "/sample-payloads",
            cat.patch_sample,
            "Patch a sample payload (JSON Patch)",
            "SampleWebhookPayloads",
        ),
        r(
            "DELETE",
            EVT + "/sample-payloads",
            cat.delete_sample,
            "Delete a sample payload",
            "SampleWebhookPayloads",
        ),
        r(
            "GET",
            EVT + "/sample-payloads-examples",
            ecg.sample_examples,
            "Get a typed sample payload example",
            "SampleWebhookPayloads",
        ),
        # ---- subscriptions
        r(
            "POST",
            ORG + "/webhook-subscriptions",
            sub.create,
            "Add a webhook subscription",
            "WebhookSubscriptions",
            201,
        ),
        r(
            "GET",
            ORG + "/webhook-subscriptions",
            ecg.subscriptions,
            "List an organization's webhook subscriptions",
            "WebhookSubscriptions",
        ),
        r("GET", SUB, ecg.subscription, "Get a webhook subscription", "WebhookSubscriptions"),
        r(
            "PATCH",
            SUB,
            sub.patch,
            "Patch a webhook subscription (JSON Patch)",
            "WebhookSubscriptions",
        ),
        r("DELETE", SUB, sub.delete, "Delete a webhook subscription", "WebhookSubscriptions"),
        *(
            r(
                "POST",
                f"{SUB}/{action}",
                sub.status(action),
                f"{action.capitalize()} a webhook subscription",
                "WebhookSubscriptions",
            )
            for action in ("activate", "deactivate", "archive", "restore")
        ),
        r(
            "DELETE",
            SUB + "/events/{eventId}",
            sub.remove_event,
            "Remove one event from a subscription",
            "WebhookSubscriptions",
        ),
        r(
            "GET",
            SUB + "/secrets",
            sub.current_secret,
            "Get the subscription's secret key",
            "WebhookSubscriptions",
        ),
        r(
            "PUT",
            SUB + "/secrets",
            sub.rotate_secret,
            "Rotate the subscription's secret key",
            "WebhookSubscriptions",
        ),
        r(
            "GET",
            SUB + "/webhook-secret-histories",
            ecg.secret_histories,
            "List the subscription's secret history",
            "WebhookSecretHistories",
        ),
        r(
            "POST",
            SUB + "/webhook-secret-histories",
            sub.add_secret,
            "Set a new secret key, kept in the history",
            "WebhookSecretHistories",
            201,
        ),
        # ---- activations and activities
        r(
            "GET",
            SUB + "/activations",
            ecg.activation_list,
            "List validation activations",
            "WebhookSubscriptions",
            kept=True,
        ),
        r(
            "GET",
            SUB + "/activations/{activationId}",
            ecg.activation,
            "Get an activation",
            "WebhookSubscriptions",
        ),
        r(
            "GET",
            SUB + "/activity",
            ecg.activity_list,
            "List a subscription's activity",
            "WebhookActivities",
            kept=True,
        ),
        r(
            "GET",
            SUB + "/activity/{activityId}",
            act.get,
            "Get an activity (mode=flat or nested)",
            "WebhookActivities",
        ),
        r(
            "POST",
            SUB + "/activity",
            act.post,
            "Post an event to the subscription (fires it)",
            "WebhookActivities",
            201,
        ),
        r(
            "POST",
            SUB + "/activity/{activityId}/retry",
            act.retry,
            "Retry an activity",
            "WebhookActivities",
            201,
        ),
        r(
            "POST",
            SUB + "/activity/{activityId}/outcomes",
            act.record_outcome,
            "Record an activity's outcome",
            "WebhookActivities",
            201,
        ),
        # ---- payload hash
        r(
            "POST",
            HASH + "/webhooks-payloads",
            act.payload_with_hash,
            "Make a payload with its hash and post it",
            "WebhookPayloadHash",
            201,
        ),
        r(
            "POST",
            HASH + "/validate-hash",
            act.validate_hash,
            "Check a payload's hash",
            "WebhookPayloadHash",
        ),
        r(
            "GET",
            HASH + "/activity/{activityId}/get-hash",
            act.get_hash,
            "The hash of an activity's payload",
            "WebhookPayloadHash",
        ),
        # ---- test processors and deliveries
        r(
            "POST",
            "/api/webhook-processors/success-response",
            probes.success_response,
            "A test URL that succeeds",
            "WebhookProcessors",
        ),
        r(
            "POST",
            "/api/webhook-processors/failed-response",
            probes.failed_response,
            "A test URL that fails",
            "WebhookProcessors",
        ),
        r(
            "GET",
            "/api/webhook-deliveries/payload",
            ecg.random_payload,
            "A random payload to deliver",
            "WebhookDeliveries",
        ),
        # ---- CentrePoint v3 and v1
        r("GET", STUDY, cp.v3_webhooks, "List a study's webhook registrations", "CentrePoint"),
        r(
            "GET",
            STUDY + "/{webhookId}",
            cp.v3_webhook,
            "Get a webhook registration",
            "CentrePoint",
        ),
        r(
            "GET",
            STUDY + "/{webhookId}/history",
            cp.v3_history,
            "A webhook's delivery history",
            "CentrePoint",
        ),
        r(
            "GET",
            "/centrepoint/v3/WebhookEvents",
            cp.v3_webhook_events,
            "List webhook events",
            "CentrePoint",
        ),
        r(
            "GET",
            "/v1/webhooks/history",
            cp.v1_history,
            "A study's delivery history (v1)",
            "CentrePoint",
        ),
    ]


def openapi_document(session, call) -> dict:
    return openapi.document(ROUTES)


ROUTES: list[Route] = [
    *_routes(),
    Route("GET", "/openapi.json", openapi_document, "This document", "OpenAPI"),
]
