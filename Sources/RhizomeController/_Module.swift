// RhizomeController
