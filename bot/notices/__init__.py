"""Policy notices: subscriptions, broadcasts and "the policy finds the person"."""
