"""The management API's push subscriptions of the order feed (registered on its blueprint by
management.py; the same rules: the bearer token's company, 404 across companies). Whatever
sends events elsewhere or shows a secret needs the admin role; reading does not."""

from flask import Blueprint, Response, jsonify

from shipcrowd_woo.entrypoints.api.handling import body_of
from shipcrowd_woo.entrypoints.api.requests import SubscriptionRequest
from shipcrowd_woo.entrypoints.api.state import admin, principal, state
from shipcrowd_woo.entrypoints.api.views import subscription_secret_view, subscription_view


def create_subscription() -> tuple[Response, int]:
    """Subscribe a URL to the company's events; the answer holds the signing secret, shown
    this once."""
    body: SubscriptionRequest = body_of(SubscriptionRequest)
    created = state().services.subscriptions.create(
        admin().company_id, body.url, body.event_types, body.store_ids, body.after
    )
    return jsonify(subscription_secret_view(created)), 201


def list_subscriptions() -> Response:
    """The company's subscriptions with their state and backlog."""
    readings = state().services.subscriptions.listed(principal().company_id)
    return jsonify({"items": [subscription_view(reading) for reading in readings]})


def get_subscription(subscription_id: str) -> Response:
    """One subscription."""
    reading = state().services.subscriptions.get(principal().company_id, subscription_id)
    return jsonify(subscription_view(reading))


def delete_subscription(subscription_id: str) -> tuple[str, int]:
    """Stop and forget a subscription."""
    state().services.subscriptions.delete(admin().company_id, subscription_id)
    return "", 204


def enable_subscription(subscription_id: str) -> Response:
    """Deliver again at once, from where it stopped."""
    reading = state().services.subscriptions.enable(admin().company_id, subscription_id)
    return jsonify(subscription_view(reading))


def rotate_secret(subscription_id: str) -> Response:
    """A new signing secret, shown this once; the old one signs beside it for a day."""
    created = state().services.subscriptions.rotate_secret(admin().company_id, subscription_id)
    return jsonify(subscription_secret_view(created))


def register(blueprint: Blueprint) -> None:
    """Add the subscription routes to the management blueprint."""
    blueprint.post("/subscriptions")(create_subscription)
    blueprint.get("/subscriptions")(list_subscriptions)
    blueprint.get("/subscriptions/<subscription_id>")(get_subscription)
    blueprint.delete("/subscriptions/<subscription_id>")(delete_subscription)
    blueprint.post("/subscriptions/<subscription_id>/enable")(enable_subscription)
    blueprint.post("/subscriptions/<subscription_id>/rotate-secret")(rotate_secret)
