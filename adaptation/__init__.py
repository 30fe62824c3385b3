"""vrex adaptation: simulated patients, controllers, the learned policy and the safety shield.

See adaptation/README.md and docs/architecture.md. Never imports the engine or
Panda3D; sessions load the learned policy with numpy alone (``adaptation.policy``).
"""
