"""Which optional kinds of personal data the redactor looks for, read from ``DESKROUTE_PII_*``.

Cards, IBANs, e-mails, phone numbers and national ids are always redacted before a hosted-LLM
call: that is the privacy promise and it has no switch. The kinds below are on by default and
may be turned off one by one (``DESKROUTE_PII_ADDRESSES=false``) where a deployment needs the
hosted model to read them, e.g. a shop whose hosted prompts quote delivery addresses.
"""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict

#: Setting name -> the kind it switches, in the order the README documents them.
OPTIONAL_KINDS: dict[str, str] = {
    "dates_of_birth": "DATE_OF_BIRTH",
    "addresses": "ADDRESS",
    "postcodes": "POSTCODE",
    "passports": "PASSPORT",
    "names": "NAME",
}


class PIISettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DESKROUTE_PII_", env_file=None, extra="ignore")

    #: Dates written next to "born", "DOB", "date of birth", "birthday is" ...
    dates_of_birth: bool = True
    #: Street addresses (house number + street, "Hauptstraße 5", "12 rue de la Paix", PO boxes).
    addresses: bool = True
    #: UK and Canadian postcodes, US ZIP codes after a state or a street, PLZ after a street.
    postcodes: bool = True
    #: Passport numbers written after the word "passport".
    passports: bool = True
    #: The ticket requester's name wherever it appears in the text.
    names: bool = True

    def disabled_kinds(self) -> frozenset[str]:
        """Kinds an operator turned off."""
        return frozenset(kind for name, kind in OPTIONAL_KINDS.items() if not getattr(self, name))
