Route #1: 1 5 4
Route #2: 3 2
Trips per AMR: 2 1
