"""boilerkit inside other tools: Scrapy, datatrove and Spark.

Each integration is a module of its own with an extra of its own, e.g.
``pip install 'boilerkit[scrapy]'`` for :mod:`boilerkit.integrations.scrapy`.
"""
