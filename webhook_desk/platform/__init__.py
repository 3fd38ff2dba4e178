"""The hosted platform: an emulator of its webhook APIs and the sync that pulls from them."""
