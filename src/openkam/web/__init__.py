"""The OpenKAM web application: a Django project with one app per domain."""
