"""Cost estimation: monthly cost per cloud from list prices and a traffic profile, and the container crossover.

``profile`` reads the traffic profile, ``pricing`` the price data, ``estimate``
prices each line, ``report`` turns it into data and words, ``plot`` draws the
crossover chart, ``command`` is the CLI entry.
"""
