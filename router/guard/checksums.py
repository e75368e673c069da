"""Check digits that tell a real card, IBAN or ID number from any number of the same shape.

Shapes alone would redact every long order or tracking number; a checksum keeps redaction
precise where one exists.
"""

from __future__ import annotations

_DNI_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"


def luhn_valid(digits: str) -> bool:
    """Luhn checksum: what every payment card number carries, and most long numbers do not."""
    if not digits.isdecimal():
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def iban_valid(compact: str) -> bool:
    """ISO 13616 mod-97 check on an IBAN without spaces."""
    if not 15 <= len(compact) <= 34 or not compact.isalnum() or not compact.isascii():
        return False
    if not (compact[:2].isalpha() and compact[2:4].isdigit()):
        return False
    rearranged = compact[4:] + compact[:4]
    number = "".join(str(int(ch, 36)) for ch in rearranged.upper())
    return int(number) % 97 == 1


def dni_valid(number: str, letter: str) -> bool:
    """Spanish DNI (8 digits) or NIE (X/Y/Z + 7 digits) check letter."""
    lead = "XYZ".find(number[:1])
    digits = (str(lead) if lead >= 0 else number[:1]) + number[1:]
    if len(digits) != 8 or not digits.isdecimal():
        return False
    return _DNI_LETTERS[int(digits) % 23] == letter.upper()
