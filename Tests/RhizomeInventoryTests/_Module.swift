// RhizomeInventoryTests
