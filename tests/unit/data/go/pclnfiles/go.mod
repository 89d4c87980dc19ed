module example.com/pclnfiles

go 1.19
