"""Services built on the container: the demo samples now; GRAM, RFT, GMA later."""
