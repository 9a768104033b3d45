import Appliance
print("edgelive")
