"""Bilibili's parts built so far (issue 21): how its error texts read as causes (``errors``).
Not yet a registered site (``pipeline.sites.SITES``): its URLs are not taken as sources yet."""
