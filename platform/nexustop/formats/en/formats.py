"""English as West Africa writes it (Nigeria, Ghana, The Gambia, Liberia, Sierra Leone): day before month.

Django's ``en`` formats are American (``12/07/2026 10:51 p.m.`` for 7 December), which a customer in Accra or Banjul
reads as 12 July. These are Django's ``en_GB`` formats (``07/12/2026 22:51``, ``7 Dec 2026``)."""

from django.conf.locale.en_GB.formats import *  # noqa: F403
