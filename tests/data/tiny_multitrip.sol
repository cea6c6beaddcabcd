Route #1: 1 5
Route #2: 4
Route #3: 3 2
Trips per AMR: 2 1
Cost 20164.2
