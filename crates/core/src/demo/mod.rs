//! The demo clinic: synthetic patients with realistic Japanese names and histories.
