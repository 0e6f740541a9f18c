"""Currencies a WooCommerce store can sell in, with their usual number of decimal places.

The codes are those of WooCommerce's `get_woocommerce_currencies()`
(plugins/woocommerce/includes/wc-core-functions.php) plus the current ISO 4217 codes it lacks.
Decimal places follow ISO 4217's minor units; a store's own "number of decimals" setting (sent as
`number_of_decimals` by system_status) wins over them when known. Extensions can add currencies
through the `woocommerce_currencies` filter, so the store's configured currency is accepted too
(see `TransformContext.store_currency`).
"""

from typing import Final

_ZERO_DECIMALS = "BIF CLP DJF GNF IRT ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF"
_THREE_DECIMALS = "BHD IQD JOD KWD LYD OMR TND"
_FOUR_DECIMALS = "CLF UYW"
_EIGHT_DECIMALS = "BTC"
_TWO_DECIMALS = (
    "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD BTN BWP "
    "BYN BYR BZD CAD CDF CHE CHF CHW CNY COP COU CRC CUC CUP CVE CZK DKK DOP DZD EGP ERN ETB "
    "EUR FJD FKP GBP GEL GGP GHS GIP GMD GTQ GYD HKD HNL HRK HTG HUF IDR ILS IMP INR IRR JEP "
    "JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR "
    "MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN PRB QAR RON RSD RUB "
    "SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD "
    "TWD TZS UAH USD USN UYU UZS VED VEF VES WST XCD XCG YER ZAR ZMW ZWG ZWL"
)

CURRENCY_DECIMALS: Final[dict[str, int]] = {
    code: decimals
    for codes, decimals in (
        (_ZERO_DECIMALS, 0),
        (_TWO_DECIMALS, 2),
        (_THREE_DECIMALS, 3),
        (_FOUR_DECIMALS, 4),
        (_EIGHT_DECIMALS, 8),
    )
    for code in codes.split()
}


def decimals_of(currency: str, store_decimals: int | None = None) -> int:
    """Return the decimal places amounts in `currency` are rounded to at this store."""
    if store_decimals is not None:
        return store_decimals
    return CURRENCY_DECIMALS.get(currency, 2)
