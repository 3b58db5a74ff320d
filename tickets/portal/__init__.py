"""The buyer portal: accounts, orders with parcel timelines, cases with evidence and the conversation.

It lives in tickets because it shows all three apps' objects (DESIGN §3: tickets → logistics → orders).
"""
