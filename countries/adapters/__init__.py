"""One module per country; each exposes ``adapter``, an instance of a CountryAdapter subclass.

The registry imports every module in this package, so adding a country is
adding a module here (plus its data in ``countries/data/``): no core change.
"""
