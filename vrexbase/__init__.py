"""vrex's base: rules every layer needs, written once (sensors, adaptation and engine may all
import it; it imports none of them). ``real``: is this a real, finite number."""
