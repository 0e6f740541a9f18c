"""cattrs converters between JSON documents and the domain's attrs types.

Adapter-neutral: the HTTP client, the webhook intake and the services all read WooCommerce
payloads through the same converter, so a payload means the same thing wherever it arrives.
"""
